# The direction of the include graph: for each folder of include/skewless/, the folders
# its headers may include (besides their own). Written once, here; tests/layering checks
# every header against it and docs/architecture.md draws it. "root" is the files at the
# top (config.hpp, version.hpp, types.hpp); skewless.hpp, the umbrella, may include
# anything and is included by nothing. A folder's internal/ headers are included only
# from that folder.
set(SKEWLESS_LAYERS
  "root:"
  "detail:root"
  "expr:root"
  "adapters:expr root"
  "kernels:expr detail root"
  "reference:kernels expr detail root"
  "batch:kernels expr detail root"
  "online:kernels expr detail root"
  "serial:online kernels expr detail root"
  "io:batch kernels expr detail root"
  "arrow:batch serial kernels expr detail root"
  "kafka:arrow online serial batch kernels expr detail root"
  "python:arrow io batch online serial reference kernels expr adapters detail root"
)
