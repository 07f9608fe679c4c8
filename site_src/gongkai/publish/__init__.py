"""Publishing a built site: manifest, atomic releases, tamper check, rollback, packages.

What a publish leaves on the target (a local directory, or ``user@host:/path`` reached with the
system's ``ssh`` and ``rsync``)::

    TARGET/
      current -> releases/20250308T090000Z-5d6e7f8    the web server's document root
      releases/20250301T020304Z-1a2b3c4/             one directory per publish, never edited
      releases/20250308T090000Z-5d6e7f8/             (read-only; no file shared with another release)
      pristine/ab/abcdef…                             every kept file once, named by its SHA-256 (pristine.py)
      quarantine/                                     what a repair moved out of the live release
      journal                                         upload, publish, rollback, remove: numbered lines (journal.py)
      signatures/                                     SSHSIG of each manifest.json and of csp.txt (signature.py)
      csp.txt  csp-nginx.conf  csp-apache.conf        Content-Security-Policy for those releases
      .gongkai.lock                                   held with flock(2) while publishing

The live site only ever changes by ``rename(2)`` of a fresh symlink over ``current``: a publish
that dies at any earlier point leaves ``current`` exactly as it was, and what it left behind
(``releases/*.partial``, ``.gongkai-current.*``) is removed by the next publish.

The modules, each depending only on those above it:

    manifest.py   manifest.json: write, read, compare a tree with it; check_site; PublishError
    targets.py    a local directory or an SSH host: lock, state, upload, hash, switch, remove
    csp.py        inline-script hashes, the Content-Security-Policy, its nginx/Apache snippets
    journal.py    the journal of switches: what rollback goes to, what pruning removes
    signature.py  the publishing signature of manifest.json and csp.txt, the pinned keys
    pristine.py   the pristine store and the repair of the live release from it
    guard.py      the watcher (inotify): repair within a second, the 值班读网 log
    verify.py     the live release (or a plain site directory) against its manifest
    releases.py   publish (upload, verify, store, switch, prune) and rollback
    package.py    reproducible .tar.gz/.zip packages and their check

Each function returns data (Release, VerifyResult, Package, Mismatch) or raises PublishError
with the Chinese message; printing and exit codes are the command line's (gongkai/cli.py).
Nothing here imports MkDocs.
"""
