// A QR code drawn as SVG elements (not a data: URL or injected markup), so it fits the
// dashboard's strict content-security-policy. The `qrcode` package computes the modules.
import QRCode from 'qrcode';
import { useMemo } from 'react';

const QUIET_ZONE = 4;

/** The SVG path of the dark modules of `text`, and the side of the square in modules (quiet zone included). */
export function qrPath(text: string): { d: string; side: number } {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  let d = '';
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (modules.data[row * n + col]) d += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  return { d, side: n + 2 * QUIET_ZONE };
}

/** Shows `text` (an `otpauth://` URI) as a scannable QR code; black on white in either theme. */
export function QrCode({ text, label, size = 200 }: { text: string; label: string; size?: number }) {
  const { d, side } = useMemo(() => qrPath(text), [text]);
  return (
    <svg className="qr-code" role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${side} ${side}`} shapeRendering="crispEdges">
      <rect width={side} height={side} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
