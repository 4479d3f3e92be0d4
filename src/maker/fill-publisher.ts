// A's fills onto the bus (I3): a fill must be stored before A moves on, so the append is retried
// until it is. Fills that are not A's to publish — closing orders of a flatten, orders a flatten or
// a loss of Redis state fenced off — are logged once each and left out.
import { Effect, Ref } from "effect"
import { isClosingClientIndex } from "../domain/closing.ts"
import { applyFill } from "../domain/maker-cycle.ts"
import type { FillEvent } from "../domain/messages.ts"
import type { BusError } from "../bus/errors.ts"
import { supervisorBackoff } from "../ops/schedules.ts"
import { amountText, type MakerContext } from "./settings.ts"

/** How many fenced orders are remembered (to log each once); the oldest is forgotten first. */
const NOT_PUBLISHED_REMEMBERED = 1000

export interface FillPublisher {
  readonly publish: (fill: FillEvent) => Effect.Effect<void, BusError>
  /** Fills stored on the bus since A started (A's heartbeat shows it). */
  readonly published: Effect.Effect<number>
}

export const makeFillPublisher = (ctx: MakerContext): Effect.Effect<FillPublisher> =>
  Effect.gen(function*() {
    const { settings, bus, state, clock } = ctx
    const count = yield* Ref.make(0)
    const notPublished = yield* Ref.make<ReadonlySet<string>>(new Set())
    // Stryker disable next-line all: text for log lines only
    const amount = (base: number, price: number) => amountText(settings.market, base, price)

    const noteNotPublished = (fill: FillEvent, why: string) =>
      Effect.gen(function*() {
        const first = yield* Ref.modify(notPublished, (seen) => {
          if (seen.has(fill.orderIndex)) return [false, seen] as const
          const next = new Set(seen).add(fill.orderIndex)
          if (next.size > NOT_PUBLISHED_REMEMBERED) next.delete(next.values().next().value!)
          return [true, next] as const
        })
        if (!first) return
        yield* Effect.logWarning(
          `fill ${fill.side} ${amount(fill.size, fill.price)} of order ${fill.orderIndex} (client index ${fill.clientOrderIndex}) not published: ${why}`
        )
      })

    const publish = (fill: FillEvent) =>
      isClosingClientIndex(fill.clientOrderIndex)
        ? noteNotPublished(fill, "a closing order of bin/hedge flatten, which closed the position itself")
        : bus.publishFill(fill).pipe(
          Effect.tapError((e) => Effect.logError(`cannot store fill ${fill.fillId}, retrying: ${e.message}`)),
          Effect.retry(supervisorBackoff),
          Effect.tap((p) =>
            Effect.gen(function*() {
              if (p.fenced !== undefined) return yield* noteNotPublished(fill, p.fenced)
              if (p.duplicate) return
              if (settings.epoch !== undefined) yield* settings.epoch.onPublished(fill, p.fillSeq)
              yield* Ref.update(count, (n) => n + 1)
              yield* Ref.update(state, (s) =>
                applyFill(s, { side: fill.side, base: fill.size, orderIndex: fill.orderIndex, clientOrderIndex: fill.clientOrderIndex }, settings.cycle, clock.monoMs())
              )
              yield* Effect.logInfo(`fill ${fill.side} ${amount(fill.size, fill.price)} (order ${fill.orderIndex}, seq ${p.fillSeq})`)
              if (settings.onFill !== undefined) yield* settings.onFill(fill, p.fillSeq)
            })
          ),
          Effect.asVoid
        )
    return { publish, published: Ref.get(count) }
  })
