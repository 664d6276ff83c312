import { useRef, useState } from 'preact/hooks';

/**
 * The state of a detail page whose connection the user closed from the page. Once closed the object is gone, so the
 * page stops asking for it rather than logging 404s, and hides the load error it would otherwise show.
 */
export function useClosed() {
  // A ref as well as state: the poll's loader is a closure made before the re-render that the state change causes.
  const closedRef = useRef(false);
  const [closed, setClosed] = useState(false);
  /** `load()`, or a rejection without a request once closed. */
  const unlessClosed = <T>(load: () => Promise<T>): Promise<T> => (closedRef.current ? Promise.reject(new Error('closed')) : load());
  const markClosed = () => {
    closedRef.current = true;
    setClosed(true);
  };
  return { closed, unlessClosed, markClosed };
}
