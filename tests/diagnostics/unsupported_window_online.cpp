#include "common.hpp"

#include <skewless/online/window_state.hpp>

struct my_window {};  // a window kind the online back-end has no state for
#ifdef SKEWLESS_DIAG_FAIL
skewless::online::parts_window<skewless::part::sum, my_window> state;
#else
skewless::online::parts_window<skewless::part::sum, skewless::tiled_window> state;
#endif
