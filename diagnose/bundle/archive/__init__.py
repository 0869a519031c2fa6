"""Walk a source (directory, archive, nested archives, single file) without extracting it.

Every regular file reached is handed to a callback as a stream, in order; archives inside
archives are opened in place (tar streams over gzip streams), so nothing touches the disk.
Formats are recognised by their magic bytes, not by their names. The source is untrusted:

- a path that leaves the bundle (`../`, absolute, a drive letter) is refused, a link is never
  followed out of the bundle root, devices, FIFOs and sockets are never opened;
- every stream is metered (`streams.Guarded`): bytes per file, bytes for the whole source, and
  the inflate ratio of each compressed stream (diagnose.bundle.limits); reaching a limit ends
  that stream as if it were complete, with one note, and the walk goes on with the next file;
- what cannot be read becomes one `ReadProblem` sentence, and whatever came before the break
  has already been handed on.

The modules, one job each:

    streams      the stream layers: decompression, slices, counting, the metered `Guarded`
    sniff        what a stream is from its magic bytes, and what its name claims
    names        member names made safe to show and to use as paths
    tar_members  a tar stream, member by member
    zip_members  a zip, from its directory or from its local headers
    walk         `Walker`: directories, files, the dispatch by format, the meters and notes
"""

from diagnose.bundle.archive.sniff import format_of
from diagnose.bundle.archive.streams import Readable, sniffable
from diagnose.bundle.archive.walk import OnFile, Walker

_format_of = format_of  # the name diagnose.redact.rewrite imports

__all__ = ["OnFile", "Readable", "Walker", "format_of", "sniffable"]
