// USB plug events (node-usb's WebUSB API) as a hint to look again at once instead of waiting
// for the next poll. Guarded: where there is no USB bus (containers, CI) or the addon cannot
// load, this returns undefined once, quietly, and polling alone does the work.

export interface PlugEvents {
  /** Calls `onChange` on every USB connect or disconnect. */
  start(onChange: (what: 'connect' | 'disconnect') => void): void;
  stop(): void;
}

export async function usbPlugEvents(): Promise<{ events?: PlugEvents; unavailable?: string }> {
  try {
    const { WebUSB } = await import('usb');
    const webusb = new WebUSB({ allowAllDevices: true });
    await webusb.getDevices(); // throws where there is no USB bus
    let connect: (() => void) | undefined;
    let disconnect: (() => void) | undefined;
    return {
      events: {
        start(onChange) {
          connect = () => onChange('connect');
          disconnect = () => onChange('disconnect');
          webusb.addEventListener('connect', connect);
          webusb.addEventListener('disconnect', disconnect);
        },
        stop() {
          if (connect) webusb.removeEventListener('connect', connect);
          if (disconnect) webusb.removeEventListener('disconnect', disconnect);
        },
      },
    };
  } catch (e) {
    return { unavailable: (e as Error).message.split('\n')[0] ?? 'unknown error' };
  }
}
