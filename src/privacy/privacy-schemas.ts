/** The erasure route's shapes. The subject is the caller's own reference, under the same free-text rule as on create. */
import { z } from "zod";
import { plainText } from "../lib/plain-text.js";

export const subjectParamsSchema = z.object({
  subject: plainText(z.string().min(1).max(128)).describe("The subject to erase, as given on create (URL-encoded)."),
});

const count = z.number().int().min(0);

export const erasureResultSchema = z
  .object({
    sessions: count.describe("Sessions of the subject erased here."),
    images: count.describe("Retained session images deleted."),
    faceDeletions: count.describe("Sessions deleted at Face now (or found gone there)."),
    faceDeletionsPending: count.describe("Sessions Face did not confirm deleting yet; the background loop retries them."),
  })
  .meta({ id: "SubjectErasure" });
