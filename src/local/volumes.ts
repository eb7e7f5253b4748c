/** Reads files of a played pod through its podman volumes (the host side of an emptyDir). */
import * as fs from 'fs';
import * as path from 'path';
import { podman } from './podman';

export class VolumeReader {
  private readonly mountpoints = new Map<string, string>();

  async mountpoint(volume: string): Promise<string | undefined> {
    if (!this.mountpoints.has(volume)) {
      const r = await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume], { allowFailure: true });
      if (r.code !== 0) return undefined;
      this.mountpoints.set(volume, r.stdout.trim());
    }
    return this.mountpoints.get(volume);
  }

  async read(volume: string, rel: string): Promise<string | undefined> {
    const mp = await this.mountpoint(volume);
    if (!mp) return undefined;
    try {
      return fs.readFileSync(path.join(mp, rel), 'utf8');
    } catch {
      return undefined;
    }
  }

  async readDir(volume: string, rel: string): Promise<Record<string, string>> {
    const mp = await this.mountpoint(volume);
    const out: Record<string, string> = {};
    if (!mp) return out;
    const dir = path.join(mp, rel);
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return out;
    }
    for (const n of names) {
      try {
        const p = path.join(dir, n);
        if (fs.statSync(p).isFile()) out[n] = fs.readFileSync(p, 'utf8');
      } catch {
        // vanished meanwhile
      }
    }
    return out;
  }
}

