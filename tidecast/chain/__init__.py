"""Everything chain, in one home: the Vyper contracts and their committed compiled artifacts
(`artifacts`, `compile`, `browser`), deploying them (`deploy`), development chains and the chain
file `tidecast dev` leaves for other processes (`devnet`), token units and chain timestamps; the
Blockchain Data Service every part reads and signs through (`service`, its error translation
`errors`), the watcher that follows the contracts' events into the database (`watcher`, read back
through `index`); and the embedded chain `tidecast dev` runs (`embedded`, its node in `node/`).
Running tidecast reads the artifacts only; the compiler is a build tool."""
