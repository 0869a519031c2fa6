"""antrea-diagnose: root-cause analysis of Antrea support bundles."""

__version__ = "0.1.0"
