/**
 * Reaching every live instance of a class, for the rare update that must touch each one (a field
 * removed, or reset because its type changed). Tracking instances as they are created would slow
 * down every `new` (a `WeakRef` per instance measured ~70× slower construction), so instead the
 * heap is asked, once, through the V8 inspector's `Runtime.queryObjects`. That exists in Node
 * (and so in Vite's module runner), reached through `process.getBuiltinModule` so that this file
 * imports nothing and still loads in a browser, where `liveInstances` returns `undefined`; there,
 * instances register as they are constructed instead (`Lineage.liveInstances`, emitted only for
 * pages).
 *
 * The cost is a full garbage collection and a walk of the heap: milliseconds for small heaps,
 * about a quarter second for a heap of half a million objects.
 */
interface InspectorSession {
  connect(): void;
  disconnect(): void;
  post(method: string, params: object, callback: (error: Error | null, result: any) => void): void;
}

type InspectorModule = { Session: new () => InspectorSession };

function inspectorModule(): InspectorModule | undefined {
  const processObject = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return processObject?.getBuiltinModule?.('node:inspector') as InspectorModule | undefined;
  } catch {
    return undefined;
  }
}

const HANDOFF = '__hotstate_instances';

/** Objects of hotstate's own whose prototype chain runs through a user's class (field initializer holders). */
export const internalObjects: WeakSet<object> = new WeakSet();

/** A class's `prototype` object (its own `constructor` points back at it): part of a chain, not an instance. */
function isPrototypeObject(object: object): boolean {
  const ctor = Object.hasOwn(object, 'constructor') ? (object as { constructor: unknown }).constructor : undefined;
  return typeof ctor === 'function' && (ctor as { prototype?: unknown }).prototype === object;
}

/** Every object whose prototype chain contains `proto`, or `undefined` where the heap cannot be asked. */
export function liveInstances(proto: object): object[] | undefined {
  const inspector = inspectorModule();
  if (inspector === undefined) return undefined;
  const session = new inspector.Session();
  const post = (method: string, params: object): any => {
    let failure: Error | null = null;
    let value: any;
    session.post(method, params, (error, result) => {
      failure = error;
      value = result;
    });
    if (failure !== null) throw failure;
    return value;
  };
  const handoff = globalThis as Record<string, unknown>;
  const box: { proto: object; found: object[] } = { proto, found: [] };
  handoff[HANDOFF] = box;
  session.connect();
  try {
    const protoId = post('Runtime.evaluate', { expression: `globalThis.${HANDOFF}.proto` }).result.objectId;
    const arrayId = post('Runtime.queryObjects', { prototypeObjectId: protoId }).objects.objectId;
    // Hand the array over as it is: spreading 10^5 elements into a call overflows the stack.
    const handed = post('Runtime.callFunctionOn', {
      objectId: arrayId,
      functionDeclaration: `function () { globalThis.${HANDOFF}.found = this; }`,
    });
    if (handed.exceptionDetails !== undefined) return undefined;
    return box.found.filter((object) => object !== proto && !isPrototypeObject(object) && !internalObjects.has(object));
  } catch {
    return undefined;
  } finally {
    session.disconnect();
    delete handoff[HANDOFF];
  }
}
