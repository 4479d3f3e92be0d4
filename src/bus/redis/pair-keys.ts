// Keys of a pair's epoch, fences, audit log and loss reports (src/bus/PairState.ts), shared by
// RedisPairState (which writes them) and A's publish script in RedisFillBus (which reads the fences).
//   <prefix>:epoch        hash { id, gen, createdAtMs, adoptedAtMs?, adoptedBy?, note? }
//   <prefix>:fence        hash { flattenQuoteSeq, flattenFillSeq, flattenId, flattenAtMs, lossQuoteSeq }
//   <prefix>:audit        stream { atMs, kind, text } (MAXLEN ~ 1000): flattens, cleared pools, lost
//                         and adopted epochs, fills a flatten settled
//   <prefix>:epoch-loss   hash role → JSON LossReport (A's and B's positions after a loss)
//   <prefix>:force-close  hash { id, request: JSON ForceCloseRequest, a?, b?: JSON ForceCloseResult }
export const pairControlKeys = (prefix: string) => ({
  epoch: `${prefix}:epoch`,
  fence: `${prefix}:fence`,
  audit: `${prefix}:audit`,
  lossReports: `${prefix}:epoch-loss`,
  forceClose: `${prefix}:force-close`
})

/** Entries kept in the audit stream (approximately). */
export const AUDIT_MAX_LEN = 1000
