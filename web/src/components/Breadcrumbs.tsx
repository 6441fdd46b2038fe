// The breadcrumb of tenant pages (tenant › section › item). A detail page names its item with
// `useCrumbLeaf`; the frame shows it only while the address is still that page's.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import type { Crumb } from '../lib/tenantNav';

interface Leaf { path: string; label: string }
const LeafContext = createContext<(leaf: Leaf) => void>(() => {});

/** Gives the frame the leaf set by the page inside it. */
export function CrumbLeafProvider({ children }: { children: (leaf: Leaf | null) => ReactNode }) {
  const [leaf, setLeaf] = useState<Leaf | null>(null);
  return <LeafContext.Provider value={setLeaf}>{children(leaf)}</LeafContext.Provider>;
}

/** Names the item the page shows (a license's name) in the breadcrumb. */
export function useCrumbLeaf(label: string | null | undefined) {
  const set = useContext(LeafContext);
  const { pathname } = useLocation();
  useEffect(() => { if (label) set({ path: pathname, label }); }, [set, pathname, label]);
}

export function Breadcrumbs({ crumbs }: { crumbs: Crumb[] }) {
  if (crumbs.length === 0) return null;
  return (
    <nav className="crumbs small" aria-label="Breadcrumb">
      <ol>
        {crumbs.map((c, i) => (
          <li key={i} aria-current={c.to ? undefined : 'page'}>{c.to ? <Link to={c.to}>{c.label}</Link> : c.label}</li>
        ))}
      </ol>
    </nav>
  );
}
