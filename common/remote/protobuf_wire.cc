#include "common/remote/protobuf_wire.h"

namespace abhra::remote::wire {

}  // namespace abhra::remote::wire
