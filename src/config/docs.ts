// The reference tables of docs/CONFIG.md, generated from the key table (keys.ts), the secrets
// (secrets.ts) and the flags (flags.ts). The prose around them is written by hand; each table
// sits between markers:
//
//   <!-- generated: keys maker -->   …   <!-- /generated -->
//   <!-- generated: environment -->  …   <!-- /generated -->
//   <!-- generated: flags -->        …   <!-- /generated -->
//
// `npm run docs:config` rewrites them; test/config/docs.test.ts fails when they are stale.
import { FLAGS } from "./flags.ts"
import { pathKey } from "./issues.ts"
import { KEY_ENTRIES, type KeySpec } from "./keys.ts"
import { SECRET_ENV } from "./secrets.ts"

const code = (s: string): string => `\`${s}\``

const shownDefault = (spec: KeySpec<unknown, boolean>): string => {
  const v = spec.default
  return typeof v === "string" ? (spec.decimalText === true ? JSON.stringify(v) : v) : String(v)
}

/** The docs' default cell: the table's default with its unit and note, or how it is derived. */
export const defaultCell = (spec: KeySpec<unknown, boolean>): string => {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc
  const note = spec.defaultNote === undefined ? "" : ` (${spec.defaultNote})`
  if (spec.default === undefined) return `—${note}`
  return `${code(shownDefault(spec))}${spec.unit === undefined ? "" : ` (${spec.unit})`}${note}`
}

/** The table of one section's keys (`accounts`, `maker`, …). */
export const keyTable = (section: string): string => {
  const rows = KEY_ENTRIES.filter((e) => e.path[0] === section).map((e) =>
    `| ${code(pathKey(e.path))} | ${defaultCell(e.spec)} | ${e.spec.doc} |`
  )
  if (rows.length === 0) throw new Error(`docs: no keys in section ${section}`)
  return ["| key | default | meaning / 含义 |", "|---|---|---|", ...rows].join("\n")
}

const BOOL_TEXT = " (`true`/`false`/`1`/`0`/`yes`/`no`)"

/** Environment variables: every key's, then the secrets. */
export const environmentTable = (): string => {
  const keyRows = KEY_ENTRIES.filter((e) => (e.spec.env ?? []).length > 0).map((e) => {
    const names = e.spec.env!.map(code)
    const shown = names.length > 1 ? `${names.join(", ")} (the last wins)` : names[0]!
    return `| ${shown} | ${code(pathKey(e.path))}${e.spec.envKind === "bool" ? BOOL_TEXT : ""} |`
  })
  const secretRows = [
    `| ${code(SECRET_ENV.accountAPrivateKey)}, ${code(SECRET_ENV.accountBPrivateKey)} | secrets: A's and B's API private keys (see above) / 密钥 |`,
    `| ${SECRET_ENV.redisPassword.map(code).join(", ")} (the first wins) | secret: the Redis password (see above) / 密钥 |`,
    `| ${code(SECRET_ENV.alertWebhookUrl)}, ${code(SECRET_ENV.telegramBotToken)} | secrets of the alert channels (see [alerts](#alerts)) / 密钥 |`
  ]
  return ["| variable | key |", "|---|---|", ...keyRows, ...secretRows].join("\n")
}

/** Flags of bin/main-a and bin/main-b. */
export const flagsTable = (): string => {
  const rows = FLAGS.map((f) => {
    const head = f.hint === "" ? f.flag : `${f.flag} ${f.hint}`
    const programs = f.programs.map((p) => p.toUpperCase()).join(", ")
    const what = f.path === undefined
      ? f.doc ?? f.help
      : `${code(pathKey(f.path))}${f.switch === true ? ": `true` (no value / 无需取值)" : ""}${f.doc === undefined ? "" : ` ${f.doc}`}`
    return `| ${code(head)} | ${programs} | ${what} |`
  })
  return ["| flag | programs | key |", "|---|---|---|", ...rows].join("\n")
}

const BLOCK = /<!-- generated: ([a-z]+)(?: ([a-z_]+))? -->\n[\s\S]*?<!-- \/generated -->/g

/** docs/CONFIG.md with every generated table rewritten; throws on a marker it does not know. */
export const regenerate = (doc: string): string =>
  doc.replace(BLOCK, (_m, kind: string, section: string | undefined) => {
    const body = kind === "keys" && section !== undefined
      ? keyTable(section)
      : kind === "environment"
      ? environmentTable()
      : kind === "flags"
      ? flagsTable()
      : (() => {
        throw new Error(`docs: unknown generated block "${kind}"`)
      })()
    return `<!-- generated: ${kind}${section === undefined ? "" : ` ${section}`} -->\n${body}\n<!-- /generated -->`
  })

/** The sections that have a generated key table in the document. */
export const keySectionsIn = (doc: string): ReadonlyArray<string> =>
  [...doc.matchAll(BLOCK)].filter((m) => m[1] === "keys").map((m) => m[2]!)
