"""Trust: SSHSIG signatures (sshsig), digests, statements, reviewers.yml and the review policy
(review), and `gongkai sign` (signing).
"""
