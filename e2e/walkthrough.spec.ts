import { expect, test } from '@playwright/test';
import { canvasNode, expectStep, narrative, openApp, runInTerminal, shootBoth } from './helpers';

test.describe('the walkthrough', () => {
  test('opens on the default scenario', async ({ page }) => {
    await openApp(page);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      'Two namespaces joined by a veth pair',
    );
    await expectStep(page, 0);
    await expect(page).toHaveURL(/#\/scenario\/veth-pair$/);
    // The topology comes from the engine's snapshot: the host, its root namespace and eth0.
    await expect(canvasNode(page, 'master').first()).toBeVisible();
    await expect(canvasNode(page, 'eth0')).toContainText('172.17.0.23/24');
    await expect(page.locator('.react-flow__node-segment')).toContainText('lan');
    await shootBoth(page, '01-start');
  });

  test('steps through the whole walkthrough until the ping arrives', async ({ page }) => {
    await openApp(page);
    const next = page.getByRole('navigation', { name: 'Walkthrough' }).locator('.primary');
    await next.click();
    await expectStep(page, 1);
    await expect(narrative(page).locator('.cmd-output').first()).toHaveText('server\nclient\n');
    for (const n of [2, 3, 4, 5]) {
      await next.click();
      await expectStep(page, n);
    }
    // New devices appeared on the canvas as the steps ran.
    await expect(canvasNode(page, 'veth-client').first()).toContainText('10.0.0.11/24');
    await expect(canvasNode(page, 'netns server')).toBeVisible();
    // The command's output, as the engine produced it, and its checks.
    const output = narrative(page).locator('.cmd-output').first();
    await expect(output).toContainText('5 packets transmitted, 5 received, 0% packet loss');
    await expect(narrative(page).locator('.checks li.fail')).toHaveCount(0);
    await expect(
      narrative(page).getByText('a icmp packet was delivered in master/server'),
    ).toBeVisible();
    // The timeline lists the delivered echo replies.
    await expect(page.locator('.run-summary')).toContainText(/\d+ delivered/);
    await page.getByRole('button', { name: 'Pause' }).click();
    const list = page.getByRole('listbox', { name: /Events of step 5/ });
    await list.focus();
    await page.keyboard.press('End');
    // Walk back from the end (ARP housekeeping may come last) to the last echo reply handed to ping.
    const selected = page.locator('.event-list').getByRole('option', { selected: true });
    for (
      let i = 0;
      i < 40 && !((await selected.textContent()) ?? '').includes('sock_deliver');
      i++
    ) {
      await page.keyboard.press('ArrowUp');
    }
    await expect(selected).toContainText('sock_deliver');
    await expect(selected).toContainText('echo reply seq 5 delivered to ping');
    await expect(selected).toContainText('delivered');
    await expect(page.locator('.outcome-delivered')).toContainText('Delivered');
    await expect(page.getByRole('button', { name: 'All steps done' })).toBeDisabled();
  });

  test('a deep link opens at its step and hop, and the URL follows the learner', async ({
    page,
  }) => {
    await openApp(page, '#/scenario/veth-pair?step=5&hop=3');
    await expectStep(page, 5);
    await expect(page.locator('.hop-count')).toHaveText(/^Hop 3 of \d+$/);
    // Hop 3: the ARP request arrives at veth-server, which answers.
    const inspector = page.locator('.col-inspector');
    await expect(inspector.locator('.packet-now')).toContainText('arp_process');
    await expect(inspector.getByText('ARP cache:')).toBeVisible();
    await expect(inspector.locator('.layer').first()).toContainText(
      'ff:ff:ff:ff:ff:ff (broadcast)',
    );
    await expect(page.locator('.callout')).toContainText('arp_process');
    await shootBoth(page, '02-hop-decision');

    // Next hop: the URL's hop follows (replaced, not a new history entry).
    await page.getByRole('button', { name: 'Next hop' }).click();
    await expect(page).toHaveURL(/step=5&hop=4$/);
    // Previous step: a new history entry, so Back returns to step 5.
    await page.getByRole('button', { name: '← Previous' }).click();
    await expectStep(page, 4);
    await expect(page).toHaveURL(/#\/scenario\/veth-pair\?step=4$/);
    await page.goBack();
    await expectStep(page, 5);
    await page.goForward();
    await expectStep(page, 4);
  });

  test('shows the route lookup with the mask arithmetic and the chosen route', async ({ page }) => {
    await openApp(page, '#/scenario/veth-pair?step=5&hop=1');
    const table = page.locator('.col-inspector .route-table').first();
    await expect(table).toContainText('10.0.0.12 & 255.255.255.0 = 10.0.0.0');
    await expect(table.locator('tr.chosen')).toContainText('10.0.0.0/24 dev veth-client');
  });
});

test.describe('the terminal', () => {
  test('a failed ping shows where the packet died and why', async ({ page }) => {
    await openApp(page, '#/scenario/veth-pair?step=5');
    await expectStep(page, 5);
    await runInTerminal(page, 'ip netns exec client ping -c 1 10.0.0.99');
    await expect(page.locator('.xterm-rows')).toContainText('100% packet loss');
    await expect(page.locator('.run-summary')).toContainText(/\d+ dropped/);
    await shootBoth(page, '03-terminal');

    await page.getByRole('tab', { name: 'Timeline' }).click();
    // "2 dropped" in the timeline's summary jumps to the first drop.
    await page
      .locator('.run-summary')
      .getByRole('button', { name: /dropped/ })
      .click();
    await expect(page.locator('.event-list').getByRole('option', { selected: true })).toContainText(
      'NEIGH_FAILED',
    );
    const inspector = page.locator('.col-inspector');
    await expect(inspector.locator('.outcome-dropped')).toContainText('NEIGH_FAILED');
    await expect(inspector.locator('.outcome-dropped')).toContainText('no ARP reply for 10.0.0.99');
    await expect(page.locator('.verdict')).toHaveText('Dropped · NEIGH_FAILED');
    await expect(canvasNode(page, 'veth-client').first()).toBeVisible();
    await shootBoth(page, '04-drop');
  });

  test('a typed command changes the canvas', async ({ page }) => {
    await openApp(page);
    await expect(canvasNode(page, 'br0')).toHaveCount(0);
    await runInTerminal(page, 'ip link add br0 type bridge');
    await expect(canvasNode(page, 'br0')).toBeVisible();
    await expect(canvasNode(page, 'br0')).toContainText('bridge');
    // History: up arrow brings the command back.
    await page.keyboard.press('ArrowUp');
    await expect(page.locator('.xterm-rows')).toContainText(/# ip link add br0 type bridge\s*$/);
  });
});

test.describe('NAT', () => {
  test('the inspector highlights a MASQUERADE rewrite and shows the netfilter decision', async ({
    page,
  }) => {
    // Step 5 of the kind walkthrough: curl from a pod namespace to the internet, through kind's
    // KIND-MASQ-AGENT chain on the node.
    await openApp(page, '#/scenario/two-hosts-kind?step=5');
    await expectStep(page, 5, 8);
    const inspector = page.locator('.col-inspector');
    const masquerade = inspector.locator('.decision-netfilter').filter({ hasText: 'MASQUERADE' });
    // Hop by hop, as a learner would, until the packet reaches the hop where the node rewrites it.
    for (let i = 0; i < 12 && !(await masquerade.isVisible()); i++)
      await page.getByRole('button', { name: 'Next hop' }).click();
    await expect(masquerade).toBeVisible();
    await expect(inspector.locator('.packet-place')).toContainText('kind-control-plane');

    // The decision: the POSTROUTING hook, the chain walk to the matched MASQUERADE rule, the
    // rewrite and the conntrack entry that will undo it for the reply.
    await expect(masquerade.locator('.decision-title')).toContainText('POSTROUTING');
    await expect(masquerade.locator('.verdict-chip')).toHaveText('ACCEPT');
    await expect(masquerade.locator('.chain-walks li.matched').last()).toContainText(
      'nat/KIND-MASQ-AGENT',
    );
    await expect(masquerade.locator('.walk-rule').last()).toContainText('-j MASQUERADE');
    await expect(masquerade.locator('.nat-box')).toContainText('10.0.0.1:');
    await expect(masquerade.locator('.nat-box code.changed')).toContainText('172.18.0.2:');
    await expect(masquerade.locator('.kv')).toContainText('src=10.0.0.1 dst=142.250.180.14');

    // The headers: the source address highlighted as changed, with what it was and what did it.
    const src = inspector.locator('.layer-ip .field[data-field="ip.src"]');
    await expect(src).toHaveClass(/\bchanged\b/);
    await expect(src.locator('dd > code')).toHaveText('172.18.0.2');
    await expect(src.locator('.was')).toContainText('was 10.0.0.1');
    await expect(src.locator('.was')).toContainText('by POSTROUTING · MASQUERADE');
    // The TTL changed too, at ip_forward; the destination did not.
    await expect(inspector.locator('.field[data-field="ip.ttl"] .was')).toContainText(
      'by ip_forward',
    );
    await expect(inspector.locator('.field[data-field="ip.dst"]')).not.toHaveClass(/\bchanged\b/);
    // On the canvas, the rewrite flashes next to the packet.
    await expect(page.locator('.packet-layer .changes')).toContainText('src 10.0.0.1 → 172.18.0.2');
    await shootBoth(page, '08-nat');
  });
});

test.describe('Kubernetes', () => {
  test('a step opens on the host where its commands run, when not all fit', async ({ page }) => {
    // Step 4 runs on kind-worker2 and focuses it with kind-control-plane, which is first on the
    // canvas: the two do not fit readably on a laptop screen, so the step's own host is shown.
    await page.setViewportSize({ width: 1280, height: 800 });
    await openApp(page, '#/scenario/k8s-dns-coredns?step=4');
    await expectStep(page, 4, 4);
    const canvas = page.locator('.react-flow');
    const host = (name: string) =>
      canvas.locator('.host-node').filter({ has: page.locator('.host-name', { hasText: name }) });
    const worker2 = host('kind-worker2');
    await expect(worker2).toBeInViewport({ ratio: 0.9 });
    await expect(host('kind-control-plane')).not.toBeInViewport({ ratio: 0.9 });
  });

  test("a pod's namespace shows its pause and its containers, and the inspector lists them", async ({
    page,
  }) => {
    await openApp(page, '#/scenario/k8s-two-container-pod?step=1');
    await expectStep(page, 1, 4);
    const podNs = page
      .locator('.netns-node.ns-named')
      .filter({ has: page.locator('.netns-title[title*="/multi-container-pod:"]') });
    await expect(podNs).toHaveCount(1);
    await expect(podNs.locator('.netns-title')).toHaveAttribute(
      'title',
      /^pod default\/multi-container-pod: its sandbox's network namespace, netns cni-[0-9a-f-]{36}$/,
    );
    // One namespace, three chips: the sandbox that holds it and the two containers sharing it.
    const chips = podNs.locator('.ctr-chip');
    await expect(chips).toHaveText(['pause', 'nginx', 'sidecar']);
    await expect(chips.first()).toHaveClass(/\bsandbox\b/);
    await expect(chips.nth(1)).toHaveAttribute(
      'title',
      /^container nginx · image nginx · pid \d+$/,
    );
    await expect(chips.nth(2)).toHaveAttribute(
      'title',
      /^container sidecar · image curlimages\/curl · pid \d+$/,
    );
    // Every chip fits inside the namespace's box, below its eth0.
    const { box, chipBoxes, eth0 } = await page.evaluate(() => {
      const ns = document.querySelector(
        '.netns-node.ns-named:has(.netns-title[title*="/multi-container-pod:"])',
      )!;
      const rect = (e: Element) => e.getBoundingClientRect().toJSON() as DOMRect;
      const dev = document.querySelector(
        '.react-flow__node-device[aria-label^="eth0, veth in pod multi-container-pod ("]',
      )!;
      return {
        box: rect(ns),
        chipBoxes: [...ns.querySelectorAll('.ctr-chip')].map(rect),
        eth0: rect(dev),
      };
    });
    for (const c of chipBoxes) {
      expect(c.x).toBeGreaterThanOrEqual(box.x);
      expect(c.x + c.width).toBeLessThanOrEqual(box.x + box.width);
      expect(c.y).toBeGreaterThanOrEqual(eth0.y + eth0.height);
      expect(c.y + c.height).toBeLessThanOrEqual(box.y + box.height);
    }
    // The pod's eth0, selected, shows the containers of the pod whose namespace it is in.
    await page
      .locator('.react-flow__node-device[aria-label^="eth0, veth in pod multi-container-pod ("]')
      .focus();
    await page.keyboard.press('Enter');
    const panel = page.locator('.device-panel');
    await expect(panel).toContainText(/kind-worker · pod multi-container-pod · netns cni-/);
    await expect(panel).toContainText('Containers of pod default/multi-container-pod');
    await expect(panel).toContainText(/pause {2}\(sandbox\) {2}pid \d+/);
    await expect(panel).toContainText(/nginx {2}nginx {2}pid \d+/);
    await shootBoth(page, '10-two-container-pod');
  });

  test('the same cross-node ping replays on another pod network', async ({ page }) => {
    await openApp(page, '#/scenario/k8s-pod-to-pod-cross-node?step=2');
    await expectStep(page, 2, 2);
    const dock = page.locator('.dock');
    const canvas = page.locator('.react-flow');
    await expect(dock).toContainText('kubectl exec pod-a -- ping -c 2 10.244.2.2');
    // On the bridge model the nodes route pod traffic straight out of eth0: no tunnel device.
    await expect(canvas).not.toContainText('flannel.1');
    // A pod's namespace names its pod on one line, clear of its loopback chip.
    const podNs = canvas
      .locator('.netns-node.ns-named')
      .filter({ has: page.locator('.netns-title', { hasText: /^pod pod-a$/ }) });
    // Measured in one frame: the view may still be gliding to fit, and boxes read at different
    // moments would not line up.
    const { title, nsBox, loChips } = await canvas.evaluate((root) => {
      const ns = root.querySelector('.netns-node.ns-named')!;
      const rect = (e: Element) => e.getBoundingClientRect().toJSON() as DOMRect;
      return {
        title: rect(ns.querySelector('.netns-title')!),
        nsBox: rect(ns),
        loChips: [...root.querySelectorAll('.lo-node')].map(rect),
      };
    });
    // Zoom scales every box alike; compare against the namespace's own height to stay unitless.
    expect(title.height / nsBox.height).toBeLessThan(0.2);
    const chip = loChips.find(
      (r) =>
        r.y >= nsBox.y &&
        r.y <= nsBox.y + nsBox.height / 3 &&
        r.x > nsBox.x &&
        r.x < nsBox.x + nsBox.width,
    )!;
    expect(chip).toBeDefined();
    expect(title.x + title.width).toBeLessThanOrEqual(chip.x);
    // Its cni-<uuid> name, as `ip netns list` shows it on the node, is there on hover.
    await expect(podNs.locator('.netns-title')).toHaveAttribute(
      'title',
      /^pod default\/pod-a: its sandbox's network namespace, netns cni-[0-9a-f-]{36}$/,
    );
    // The timeline names the pod a packet is in, not its namespace's cni-<uuid>.
    const place = page.locator('.ev-place', { hasText: /^kind-worker · pod pod-a$/ }).first();
    await expect(place).toBeVisible();
    await expect(place).toHaveAttribute('title', /^netns cni-[0-9a-f-]{36}$/);
    const cni = narrative(page).getByRole('combobox', { name: 'Pod network' });
    await expect(cni).toHaveValue('bridge');
    await cni.selectOption('flannel');
    await expect(page.getByText('Replayed on Flannel instead of bridge.')).toBeVisible();
    await expectStep(page, 2, 2);
    await expect(cni).toHaveValue('flannel');
    // The same command ran again, on nodes that now wrap each packet in VXLAN on flannel.1.
    await expect(dock).toContainText('kubectl exec pod-a -- ping -c 2 10.244.2.2');
    await expect(canvas).toContainText('flannel.1');
    await expect(page).toHaveURL(/#z=/);
    await shootBoth(page, '09-cni-flannel');
  });
});
