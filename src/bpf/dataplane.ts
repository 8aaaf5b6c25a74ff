// The running data plane as a set of open map handles, from its pin directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { check, libbpf } from './ffi/libbpf.js';
import { BpfMap } from './map.js';
import { PINNED_MAPS, type PinPaths, type PinnedMap } from './pins.js';
import { checkPinnedLayout } from './object.js';
import { DataplaneError } from '../util/errors.js';

export class NotAttachedError extends DataplaneError {
  constructor(dir: string) {
    super(`no lvs-xdp data plane in ${dir}: run 'lvs-xdp attach IFACE' first (or give --pin-dir)`);
  }
}

/** Pins made by an older build, which lack a map this one uses. */
export class OlderPinsError extends DataplaneError {
  constructor(dir: string, map: string) {
    super(`pinned maps in ${dir} were made by an older lvs-xdp (no ${map}): run 'lvs-xdp attach IFACE' again to upgrade them in place`);
  }
}

export class Dataplane {
  private constructor(readonly pins: PinPaths, readonly maps: Record<PinnedMap, BpfMap>) {}

  static open(pins: PinPaths): Dataplane {
    if (!existsSync(join(pins.maps, 'lb_meta'))) throw new NotAttachedError(pins.dir);
    checkPinnedLayout(pins);
    const lib = libbpf();
    const maps = {} as Record<PinnedMap, BpfMap>;
    try {
      for (const name of PINNED_MAPS) {
        const path = join(pins.maps, name);
        if (!existsSync(path)) throw new OlderPinsError(pins.dir, name);
        maps[name] = new BpfMap(check(lib.bpf_obj_get(path), `open ${path}`), name);
      }
    } catch (e) {
      for (const m of Object.values(maps)) m.close();
      throw e;
    }
    return new Dataplane(pins, maps);
  }

  close(): void {
    for (const m of Object.values(this.maps)) m.close();
  }
}
