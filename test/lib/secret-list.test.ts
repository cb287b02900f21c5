/** The shape every secret list shares: commas or newlines, blanks ignored, duplicates and empty lists refused. */
import { describe, expect, it } from "vitest";
import { parseSecretList, type CheckedEntry } from "../../src/lib/secret-list.js";

const upper = (entry: string, position: number): CheckedEntry<string> =>
  entry === "bad" ? { problem: `entry ${position} is bad` } : { value: entry, identity: entry.toLowerCase(), duplicate: `entry ${position} twice` };

describe("parseSecretList", () => {
  it("when entries are split by commas and newlines with blanks between, then each is checked once, in order, by its position", () => {
    expect(parseSecretList(" a ,\n\nb,, c\n", upper, "none")).toEqual({ values: ["a", "b", "c"], problems: [] });
  });

  it("when an entry has a problem or repeats an earlier one, then it is reported by position, never by value, and the rest kept", () => {
    expect(parseSecretList("a,bad,A,b", upper, "none")).toEqual({ values: ["a", "b"], problems: ["entry 2 is bad", "entry 3 twice"] });
  });

  it("when the list holds nothing, then the list's own problem is reported", () => {
    expect(parseSecretList(" , \n", upper, "no entry")).toEqual({ values: [], problems: ["no entry"] });
  });
});
