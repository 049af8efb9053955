"""Content addressing as Kubo does it: a UnixFS importer (`importer`), and the embedded node's
parts built on it. Importing this package costs nothing; `multiformats` is imported only when
the first CID object is made (`cids`)."""
