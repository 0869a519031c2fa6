"""The severities of a finding, worst first: a leaf module, so that the command line's options
(`--fail-on`) need not import the rule machinery to build `--help`."""

SEVERITIES = ("critical", "error", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # lower is worse
PROBLEM_SEVERITIES = frozenset(SEVERITIES[:3])  # warning and above: a fault; info is a note
