import type { ComponentChildren } from 'preact';
import { linkClick } from '../hooks/use-route';

/** An in-app link (client-side navigation). */
export function NavLink({ href, children, class: className }: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={href} class={className} onClick={linkClick}>
      {children}
    </a>
  );
}
