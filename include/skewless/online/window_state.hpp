// skewless/online/window_state.hpp — the online state of one aggregate's window.
//
// Two families, by what the aggregate is made of:
//   parts_window<Parts, Window>   count, sums, min, max, first, last (parts_window.hpp)
//   state_window<State, Window>   an aggregate with a state of its own (state_window.hpp)
// Each has a specialisation per window kind (lifetime, sliding, tiled, last_n); a kind
// without one fails to compile with a message naming the file to edit.
#pragma once

#include <skewless/online/parts_window.hpp>
#include <skewless/online/state_window.hpp>
