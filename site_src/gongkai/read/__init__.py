"""Reading files: the strict YAML reader (yamlsafe), content/ -> Items (loader), the 索引号 counter
(counter) and the text of attachments (attachments).
"""
