/**
 * SSRF guard: which IP addresses and ports a webhook may be sent to. A callback URL is chosen by a caller, so without
 * this a tenant could make the server POST into its own network (Redis, Key Vault's IMDS token endpoint, ...).
 *
 * An allow-list: only global unicast passes, i.e. public IPv4 and 2000::/3, less every block of IANA's IPv4 and IPv6
 * special-purpose address registries. A deny-list has to learn of each new special block (and missed some); here a
 * block nobody thought of is refused by default. The named categories only make the refusal message precise.
 * @see https://www.iana.org/assignments/iana-ipv4-special-registry/
 * @see https://www.iana.org/assignments/iana-ipv6-special-registry/
 */
import { isIPv4, isIPv6 } from "node:net";
import ipaddr from "ipaddr.js";

/** Why an address is refused. "private" and "loopback" are allowed with WEBHOOK_ALLOW_PRIVATE_TARGETS; the rest never. */
export type AddressCategory = "private" | "loopback" | "linkLocal" | "unspecified" | "multicast" | "reserved";

type Block = [cidr: string, category: AddressCategory];

/** The IPv4 special-purpose registry, plus multicast; whatever public IPv4 remains is allowed. */
const IPV4_BLOCKS: Block[] = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "private"], // CGNAT shared address space: internal to a carrier or cloud
  ["127.0.0.0/8", "loopback"],
  // 169.254.169.254 is the cloud metadata service (IMDS): never a webhook target, not even in development.
  ["169.254.0.0/16", "linkLocal"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "reserved"],
  ["192.31.196.0/24", "reserved"],
  ["192.52.193.0/24", "reserved"],
  ["192.88.99.0/24", "reserved"], // the retired 6to4 relay anycast: it forwards into 2002::/16
  ["192.168.0.0/16", "private"],
  ["192.175.48.0/24", "reserved"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "reserved"],
  ["203.0.113.0/24", "reserved"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"], // includes 255.255.255.255
];

/** Only this is global unicast IPv6; of the blocks below, those inside it are the registry's exceptions to it. */
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");

const IPV6_BLOCKS: Block[] = [
  // Outside 2000::/3 (refused anyway): named for a precise message, and because private and loopback are allowed
  // with WEBHOOK_ALLOW_PRIVATE_TARGETS.
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fc00::/7", "private"],
  ["fec0::/10", "private"], // deprecated site-local
  ["fe80::/10", "linkLocal"],
  ["ff00::/8", "multicast"],
  // Inside 2000::/3. 2001::/23 holds Teredo, which tunnels to an IPv4 address we would have to decode, and 2002::/16
  // (6to4) embeds one: both refused outright rather than judged by what they carry.
  ["2001::/23", "reserved"],
  ["2001:db8::/32", "reserved"],
  ["2002::/16", "reserved"],
  ["2620:4f:8000::/48", "reserved"],
  ["3fff::/20", "reserved"],
];

const parsed = <T extends ipaddr.IPv4 | ipaddr.IPv6>(blocks: Block[], parse: (cidr: string) => [T, number]) =>
  blocks.map(([cidr, category]) => ({ range: parse(cidr), category }));

const ipv4Blocks = parsed(IPV4_BLOCKS, (cidr) => ipaddr.IPv4.parseCIDR(cidr));
const ipv6Blocks = parsed(IPV6_BLOCKS, (cidr) => ipaddr.IPv6.parseCIDR(cidr));

/**
 * The two IPv6 forms that are the same destination as the IPv4 address they end with, and so are judged by it:
 * IPv4-mapped (::ffff:0:0/96, how a dual-stack socket names an IPv4 peer) and the well-known NAT64 prefix
 * (64:ff9b::/96, what DNS64 answers for a public IPv4 host on an IPv6-only network). Every other embedding form
 * (IPv4-compatible, IPv4-translated ::ffff:0:0:0/96, local-use NAT64 64:ff9b:1::/48, 6to4, Teredo) is refused.
 */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  if (!address.match(NAT64_WELL_KNOWN)) return undefined;
  const [, , , , , , high = 0, low = 0] = address.parts;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

const ipv4Category = (address: ipaddr.IPv4): AddressCategory | undefined => ipv4Blocks.find(({ range }) => address.match(range))?.category;

function ipv6Category(address: ipaddr.IPv6): AddressCategory | undefined {
  const inner = embeddedIpv4(address);
  if (inner) return ipv4Category(inner);
  const block = ipv6Blocks.find(({ range }) => address.match(range));
  if (block) return block.category;
  return address.match(IPV6_GLOBAL_UNICAST) ? undefined : "reserved";
}

/**
 * The category that forbids this address, or undefined for a global unicast address. Not an IP address in the
 * canonical forms the resolver and the URL parser produce (dotted quad, RFC 4291 text): "reserved".
 */
export function addressCategory(raw: string): AddressCategory | undefined {
  // Brackets from a URL host, a zone id from a resolver ("fe80::1%eth0").
  const address = raw.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  // node:net's strict check first: ipaddr.js would also read "0x7f.0.0.1" or "2130706433", which no resolver returns.
  if (isIPv4(address)) return ipv4Category(ipaddr.IPv4.parse(address));
  if (isIPv6(address)) return ipv6Category(ipaddr.IPv6.parse(address));
  return "reserved";
}

/** The categories WEBHOOK_ALLOW_PRIVATE_TARGETS lets through: where a developer's own receiver lives. */
export const isLocalCategory = (category: AddressCategory | undefined): boolean => category === "private" || category === "loopback";

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
  if (allowPrivateTargets && isLocalCategory(category)) return undefined;
  return `${DESCRIPTIONS[category]}${isLocalCategory(category) ? " (allowed only with WEBHOOK_ALLOW_PRIVATE_TARGETS=true)" : ""}`;
}

/** What decides where webhooks may go: AppConfig["webhooks"] satisfies it. */
export interface TargetRules {
  allowPrivateTargets: boolean;
  /** WEBHOOK_ALLOWED_PORTS */
  allowedPorts: readonly number[];
}

/**
 * Why a delivery to this port is refused, or undefined. Only the listed ports (443 by default) are open, so a
 * callback cannot probe or talk to other services on a public host (SMTP, SSH, an admin console); a developer's
 * receiver on loopback or a private address, allowed by WEBHOOK_ALLOW_PRIVATE_TARGETS, may use any port.
 */
export function refusedPort(port: number, rules: TargetRules, targetIsLocal: boolean): string | undefined {
  if (rules.allowedPorts.includes(port)) return undefined;
  if (rules.allowPrivateTargets && targetIsLocal) return undefined;
  return `port ${port}, which WEBHOOK_ALLOWED_PORTS does not list (allowed: ${rules.allowedPorts.join(", ")})`;
}
