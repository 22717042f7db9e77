"""The dynamic providers Pulumi calls: they orchestrate check -> spec -> api -> read back -> diff.
"""
