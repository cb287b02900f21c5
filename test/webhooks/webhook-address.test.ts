/**
 * The SSRF address rule: only global unicast passes, i.e. public IPv4 and 2000::/3, less every block of IANA's IPv4
 * and IPv6 special-purpose registries; the IPv4-mapped and well-known NAT64 forms are judged by the IPv4 they carry.
 */
import { describe, expect, it } from "vitest";
import { addressCategory, refusedAddress, refusedPort } from "../../src/webhooks/webhook-address.js";

describe("addressCategory", () => {
  it.each([
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.255", "private"],
    ["fd12:3456::1", "private"],
    ["fec0::1", "private"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["169.254.169.254", "linkLocal"],
    ["fe80::1", "linkLocal"],
    ["fe80::1%eth0", "linkLocal"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.1", "reserved"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "linkLocal"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "linkLocal"],
    ["64:ff9b::10.0.0.1", "private"],
    ["[::1]", "loopback"],
    ["not-an-ip", "reserved"],
    ["0x7f.0.0.1", "reserved"],
  ])("when the address is %s, then it is %s", (address, category) => {
    expect(addressCategory(address)).toBe(category);
  });

  // One row per IANA special-purpose block (and the non-unicast rest), with an address that would pass were the
  // block missing: each row is a block the old deny-list had to remember and the allow-list refuses by default.
  it.each([
    ["IPv4-translated ::ffff:0:0:0/96 (RFC 2765), of a public address", "::ffff:0:808:808"],
    ["IPv4-translated ::ffff:0:0:0/96 (RFC 2765), of a private address", "::ffff:0:a00:1"],
    ["local-use NAT64 64:ff9b:1::/48 (RFC 8215)", "64:ff9b:1::808:808"],
    ["documentation 3fff::/20 (RFC 9637)", "3fff::1"],
    ["documentation 3fff::/20, its last address", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ["SRv6 SIDs 5f00::/16 (RFC 9602)", "5f00::1"],
    ["6to4 relay anycast 192.88.99.0/24 (RFC 7526)", "192.88.99.1"],
    ["IETF protocol assignments 192.0.0.0/24", "192.0.0.9"],
    ["AS112-v4 192.31.196.0/24", "192.31.196.1"],
    ["AMT 192.52.193.0/24", "192.52.193.1"],
    ["direct delegation AS112 192.175.48.0/24", "192.175.48.1"],
    ["benchmarking 198.18.0.0/15", "198.19.255.1"],
    ["TEST-NET-2 198.51.100.0/24", "198.51.100.7"],
    ["TEST-NET-3 203.0.113.0/24", "203.0.113.7"],
    ["reserved 240.0.0.0/4", "240.0.0.1"],
    ["IPv4-compatible ::/96 (deprecated)", "::808:808"],
    ["discard-only 100::/64", "100::1"],
    ["dummy prefix 100:0:0:1::/64 (RFC 9780)", "100:0:0:1::1"],
    ["IETF protocol assignments 2001::/23 (Teredo)", "2001::1"],
    ["IETF protocol assignments 2001::/23 (benchmarking 2001:2::/48)", "2001:2::1"],
    ["IETF protocol assignments 2001::/23 (ORCHIDv2)", "2001:20::1"],
    ["IETF protocol assignments 2001::/23, its last block", "2001:1ff::1"],
    ["documentation 2001:db8::/32", "2001:db8::1"],
    ["6to4 2002::/16, even of a public address", "2002:808:808::1"],
    ["direct delegation AS112 2620:4f:8000::/48", "2620:4f:8000::1"],
    ["outside 2000::/3 (unassigned)", "4000::1"],
    ["outside 2000::/3 (unassigned, below)", "1000::1"],
  ])("when the address is in %s (%s), then it is refused, even with private targets allowed", (_block, address) => {
    expect(addressCategory(address)).toBeDefined();
    expect(refusedAddress(address, true)).toBeDefined();
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "11.0.0.1",
    "192.0.1.1",
    "192.88.98.255",
    "2606:4700::1111",
    "2a00:1450:4001::200e",
    "2001:4860:4860::8888",
    "2001:200::1",
    "3fff:1000::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
  ])("when the address %s is global unicast, then it is allowed", (address) => {
    expect(addressCategory(address)).toBeUndefined();
  });
});

describe("refusedAddress", () => {
  it("when private targets are allowed, then private and loopback pass but link-local (IMDS) and the rest never do", () => {
    expect(refusedAddress("10.0.0.1", true)).toBeUndefined();
    expect(refusedAddress("::1", true)).toBeUndefined();
    expect(refusedAddress("169.254.169.254", true)).toMatch(/metadata service/);
    expect(refusedAddress("0.0.0.0", true)).toMatch(/unspecified/);
    expect(refusedAddress("10.0.0.1", false)).toMatch(/WEBHOOK_ALLOW_PRIVATE_TARGETS/);
  });
});

describe("refusedPort", () => {
  const rules = (allowPrivateTargets: boolean, allowedPorts = [443]) => ({ allowPrivateTargets, allowedPorts });

  it("when the port is in WEBHOOK_ALLOWED_PORTS, then it passes for any allowed address", () => {
    expect(refusedPort(443, rules(false), false)).toBeUndefined();
    expect(refusedPort(8443, rules(false, [443, 8443]), false)).toBeUndefined();
  });

  it("when the port is not listed, then it is refused, naming the variable", () => {
    expect(refusedPort(8443, rules(false), false)).toMatch(/port 8443.*WEBHOOK_ALLOWED_PORTS/);
    expect(refusedPort(22, rules(false, [443, 8443]), true)).toMatch(/port 22/);
  });

  it("when private targets are allowed and the target is loopback or private, then any port passes; a public target still may not", () => {
    expect(refusedPort(9, rules(true), true)).toBeUndefined();
    expect(refusedPort(8443, rules(true), false)).toMatch(/port 8443/);
  });
});
