"""Writes cut short, for the atomic-write tests: ``serialization.open = torn_open(then)``.

The atomic write opens a temporary file (``*.tmp``) and writes the whole payload into it;
through ``torn_open`` that file takes half of the payload, then ``then(written, total)``
runs (raise an error, or hang until the test kills the process).
"""


class TornFile:
    def __init__(self, file, then):
        self.file, self.then = file, then

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.file.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def write(self, data):
        half = len(data) // 2
        self.file.write(data[:half])
        self.file.flush()
        self.then(half, len(data))


def torn_open(then):
    def patched(path, mode="r", *args, **kwargs):
        file = open(path, mode, *args, **kwargs)
        return TornFile(file, then) if str(path).endswith(".tmp") else file
    return patched
