/**
 * SSRF guard: which IP addresses a webhook may never be sent to. A callback URL is chosen by a caller, so without
 * this a tenant could make the server POST into its own network (Redis, Key Vault's IMDS token endpoint, ...).
 *
 * Deny-list by category rather than allow-list, but broad: besides private and loopback ranges it refuses every
 * special-purpose block (RFC 6890) a public receiver cannot live in, and it looks inside IPv6 forms that embed an
 * IPv4 address (mapped, compatible, NAT64, 6to4), since those reach the embedded address.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";

/** Why an address is refused. "private" and "loopback" are allowed with WEBHOOK_ALLOW_PRIVATE_TARGETS; the rest never. */
export type AddressCategory = "private" | "loopback" | "linkLocal" | "unspecified" | "multicast" | "reserved";

const RANGES: Record<AddressCategory, Array<[string, number, "ipv4" | "ipv6"]>> = {
  private: [
    ["10.0.0.0", 8, "ipv4"],
    ["172.16.0.0", 12, "ipv4"],
    ["192.168.0.0", 16, "ipv4"],
    ["100.64.0.0", 10, "ipv4"], // CGNAT shared address space: internal to a carrier or cloud
    ["fc00::", 7, "ipv6"],
    ["fec0::", 10, "ipv6"], // deprecated site-local
  ],
  loopback: [
    ["127.0.0.0", 8, "ipv4"],
    ["::1", 128, "ipv6"],
  ],
  // 169.254.169.254 is the cloud metadata service (IMDS): never a webhook target, not even in development.
  linkLocal: [
    ["169.254.0.0", 16, "ipv4"],
    ["fe80::", 10, "ipv6"],
  ],
  unspecified: [
    ["0.0.0.0", 8, "ipv4"],
    ["::", 128, "ipv6"],
  ],
  multicast: [
    ["224.0.0.0", 4, "ipv4"],
    ["ff00::", 8, "ipv6"],
  ],
  reserved: [
    ["192.0.0.0", 24, "ipv4"],
    ["192.0.2.0", 24, "ipv4"],
    ["198.18.0.0", 15, "ipv4"],
    ["198.51.100.0", 24, "ipv4"],
    ["203.0.113.0", 24, "ipv4"],
    ["240.0.0.0", 4, "ipv4"], // includes 255.255.255.255
    ["100::", 64, "ipv6"],
    ["2001::", 32, "ipv6"], // Teredo: tunnels to an obfuscated IPv4 address we would have to decode
    ["2001:db8::", 32, "ipv6"],
  ],
};

const lists = Object.entries(RANGES).map(([category, ranges]) => {
  const list = new BlockList();
  for (const [network, prefix, type] of ranges) list.addSubnet(network, prefix, type);
  return [category as AddressCategory, list] as const;
});

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad is folded in). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = quad[1].split(".").map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const toIpv4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 address carries and routes to, if it is one of the embedding forms. */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeros = (...groups: number[]) => groups.every((x) => x === 0);
  if (zeros(g0, g1, g2, g3, g4) && g5 === 0xffff) return toIpv4(g6, g7); // ::ffff:a.b.c.d (mapped)
  if (zeros(g0, g1, g2, g3, g4, g5) && (g6 !== 0 || g7 > 1)) return toIpv4(g6, g7); // ::a.b.c.d (compatible)
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return toIpv4(g6, g7); // 64:ff9b::/96 (NAT64)
  if (g0 === 0x2002) return toIpv4(g1, g2); // 2002::/16 (6to4)
  return undefined;
}

/** The category that forbids this address, or undefined for a public unicast address. Not an IP: "reserved". */
export function addressCategory(raw: string): AddressCategory | undefined {
  // Brackets from a URL host, a zone id from a resolver ("fe80::1%eth0").
  const address = raw.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const type = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (!type) return "reserved";
  if (type === "ipv6") {
    const inner = embeddedIpv4(address);
    if (inner) return addressCategory(inner);
  }
  return lists.find(([, list]) => list.check(address, type))?.[0];
}

const DESCRIPTIONS: Record<AddressCategory, string> = {
  private: "a private address",
  loopback: "a loopback address",
  linkLocal: "a link-local address (including the cloud metadata service 169.254.169.254)",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  reserved: "a reserved or special-purpose address",
};

/** Why a delivery to this address is refused, or undefined when it is allowed. */
export function refusedAddress(address: string, allowPrivateTargets: boolean): string | undefined {
  const category = addressCategory(address);
  if (!category) return undefined;
  if (allowPrivateTargets && (category === "private" || category === "loopback")) return undefined;
  return `${DESCRIPTIONS[category]}${category === "private" || category === "loopback" ? " (allowed only with WEBHOOK_ALLOW_PRIVATE_TARGETS=true)" : ""}`;
}
