"""Batch scans: many bundles through the engine, results in one store, a fleet view on top.

    discover   the command line's paths, globs, list files and URLs -> one `BundleRef` per bundle
    remote     bundles behind fsspec URLs: listing, copying to a staging folder
    hashing    content hash of a bundle and the rule-pack version (what "already scanned" means)
    worker     scan one bundle in a long-lived worker process; returns a compact result dict
    extract    the few rows of a report the store keeps (runs in the worker)
    pool       the local process pool (`--jobs`): per-bundle time limit, crash isolation, Ctrl-C
    dask_runner  the same worker function on a Dask distributed cluster (`--scheduler`)
    store      the SQLite results store (`results.db`): bundles, findings, unexplained templates
    outputs    per-bundle reports under `bundles/<name>/`, written atomically
    fleet      the store as pandas tables and the aggregates the summary shows
    svg        the summary's plots, drawn as inline SVG
    summary    `summary.html`, `summary.md`, `findings.csv`, `findings.parquet`
    progress   the rich progress bar on stderr
    run        the `batch` command end to end

Nothing here is imported by `antrea-diagnose scan`; the CLI imports it inside its commands.
"""
