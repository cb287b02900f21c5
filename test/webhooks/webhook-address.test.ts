/** The SSRF address classifier: every special-purpose range, and IPv6 forms that carry an IPv4 address. */
import { describe, expect, it } from "vitest";
import { addressCategory, refusedAddress } from "../../src/webhooks/webhook-address.js";

describe("addressCategory", () => {
  it.each([
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.255", "private"],
    ["fd12:3456::1", "private"],
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
    ["::7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "linkLocal"],
    ["2002:c0a8:101::1", "private"],
    ["[::1]", "loopback"],
    ["not-an-ip", "reserved"],
  ])("when the address is %s, then it is %s", (address, category) => {
    expect(addressCategory(address)).toBe(category);
  });

  it.each(["8.8.8.8", "172.32.0.1", "100.128.0.1", "11.0.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001::200e"])(
    "when the address %s is public, then it is allowed",
    (address) => {
      expect(addressCategory(address)).toBeUndefined();
    },
  );
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
