/* Polyfills jsdom lacks but @lumino/widgets, CodeMirror and JupyterLab expect. */
/* eslint-disable no-undef */
if (typeof window !== 'undefined') {
  if (typeof window.DragEvent === 'undefined') {
    window.DragEvent = class DragEvent extends MouseEvent {
      constructor(type, init) {
        super(type, init);
        this.dataTransfer = (init && init.dataTransfer) || null;
      }
    };
  }
  if (typeof window.ClipboardEvent === 'undefined') {
    window.ClipboardEvent = class ClipboardEvent extends Event {
      constructor(type, init) {
        super(type, init);
        this.clipboardData = (init && init.clipboardData) || null;
      }
    };
  }
  if (typeof window.matchMedia !== 'function') {
    window.matchMedia = query => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false
    });
  }
  class NoopObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
    takeRecords() {
      return [];
    }
  }
  if (typeof window.ResizeObserver === 'undefined') {
    window.ResizeObserver = NoopObserver;
  }
  if (typeof window.IntersectionObserver === 'undefined') {
    window.IntersectionObserver = NoopObserver;
  }
  if (typeof window.CSS === 'undefined') {
    window.CSS = {};
  }
  if (typeof window.CSS.escape !== 'function') {
    window.CSS.escape = s =>
      String(s).replace(/[^a-zA-Z0-9_-]/g, c => '\\' + c);
  }
  if (typeof window.requestIdleCallback !== 'function') {
    window.requestIdleCallback = cb =>
      setTimeout(() => cb({ didTimeout: false, timeRemaining: () => 50 }), 0);
    window.cancelIdleCallback = id => clearTimeout(id);
  }
  if (!document.createRange().getClientRects) {
    Range.prototype.getClientRects = () => ({
      length: 0,
      item: () => null,
      [Symbol.iterator]: function* () {}
    });
    Range.prototype.getBoundingClientRect = () => ({
      x: 0,
      y: 0,
      width: 0,
      height: 0,
      top: 0,
      left: 0,
      right: 0,
      bottom: 0
    });
  }
}
if (typeof navigator !== 'undefined' && !navigator.clipboard) {
  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: {
      writeText: () => Promise.resolve(),
      readText: () => Promise.resolve(''),
      write: () => Promise.resolve(),
      read: () => Promise.resolve([])
    }
  });
}
