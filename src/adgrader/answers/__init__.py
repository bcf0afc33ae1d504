"""Everything that runs in, or talks to, the untrusted answer process.

Two sides of one trust boundary live here:

- the grading side (trusted): `protocol` (the typed messages both sides speak),
  `client` (starts answer processes, feeds them points, owns every clock, reads
  what comes back as hostile data) and `launch` (fresh interpreters, the fork
  server's client, cleanup);
- the answer side (untrusted once a submission is loaded): `forkserver`, `worker`
  (the answer process's loop), `evaluate` (calling answers in each form),
  `backward`, `indexfn`, `standins` (names the notebooks expect), `guard` (Python
  guards) and `jail` (the kernel's).

The grading side imports only `protocol`, `client` and `launch`; a test holds it to that.
"""
