"""Everything IPFS, in one home: the IPFS Service, the client of any node speaking the Kubo RPC
API (`service`); content addressing as Kubo does it, a UnixFS importer (`importer`) and the
embedded node built on it (block store, Kubo RPC subset, gateway), served by `embedded` as
`tidecast dev`'s part. Importing this package costs nothing; `multiformats` is imported only when
the first CID object is made (`cids`)."""
