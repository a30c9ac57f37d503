"""The import job: files, folders, archives and exports into the store (:mod:`.files`), an Apple
Health export (:mod:`.apple_health`). The decoders themselves are in :mod:`backstride.importers`."""
