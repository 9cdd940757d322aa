// A mistake of the user's, not a fault of Muon's: a name that does not exist, a missing or
// unknown option, a lab that is not running. The `muon` command prints its message alone (no
// stack trace: the message says what is wrong and what to do) and exits 2.
export class UserError extends Error {
  override name = 'UserError';
}
