// Boost.JSON's implementation, compiled exactly once for the whole program.
#include <boost/json/src.hpp>
