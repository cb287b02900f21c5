/**
 * Run-time control of fault injection, under `/emulator` (outside Face's `/face/v1.2`, so no Face client can hit it
 * by accident) and behind the same subscription key as the Face routes. These requests are never counted or faulted.
 *
 *   PUT    /emulator/faults   body: a fault plan (see emulator-fault-plan.ts); replaces the current one
 *   GET    /emulator/faults   the plan, what each rule has injected, totals
 *   DELETE /emulator/faults   no more faults; 204
 */
import type { FastifyInstance } from "fastify";

import { requireSubscriptionKey, type EmulatorContext } from "./emulator-auth.js";
import { EmulatorError } from "./emulator-errors.js";
import { FaultPlanError } from "./emulator-fault-plan.js";

export const FAULTS_PATH = "/emulator/faults";

export function registerFaultRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const keyed = { onRequest: [requireSubscriptionKey(ctx)] };

  app.get(FAULTS_PATH, keyed, async () => ctx.state.faults.describe());

  app.put(FAULTS_PATH, keyed, async (request) => {
    try {
      ctx.state.faults.set(request.body);
    } catch (error) {
      if (error instanceof FaultPlanError) throw new EmulatorError("BadArgument", error.message);
      throw error;
    }
    request.log.warn({ faults: ctx.state.faults.describe().rules.length }, "Face emulator: fault plan set");
    return ctx.state.faults.describe();
  });

  app.delete(FAULTS_PATH, keyed, async (request, reply) => {
    ctx.state.faults.clear();
    request.log.info("Face emulator: fault plan cleared");
    return reply.code(204).send();
  });
}
