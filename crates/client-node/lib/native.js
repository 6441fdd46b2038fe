// Loads the native half of the package (built by napi-rs): the `.node` file for this
// platform next to the package's root, else a per-platform package of that name, else the
// file CODITECT_LICENSE_NATIVE names (checked first: for a build kept elsewhere).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const BINARY = 'coditect-license'

function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    return !process.report?.getReport?.()?.header?.glibcVersionRuntime
  }
}

// napi-rs names its builds `<binary>.<platform>-<arch>[-<abi>].node`.
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function load() {
  const name = platformName()
  const candidates = [
    process.env.CODITECT_LICENSE_NATIVE,
    `../${BINARY}.${name}.node`,
    `@coditect/license-${name}`,
  ].filter(Boolean)
  const failures = []
  for (const c of candidates) {
    try {
      return require(c)
    } catch (e) {
      failures.push(`  ${c}: ${e.message.split('\n')[0]}`)
    }
  }
  throw new Error(
    `@coditect/license: no native module for ${name}; build it with \`npx napi build --platform\`. Tried:\n${failures.join('\n')}`,
  )
}

export default load()
