"""Log scanning: every log line is matched once against all signatures (Hyperscan or the
stdlib engine), with signatures checked for catastrophic backtracking when they are loaded.
"""
