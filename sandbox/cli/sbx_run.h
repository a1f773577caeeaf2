// `sbx run`: runs RunCommand::argv in the sandbox and returns the exit status for sbx
// (CMD's status, 128+N for signal N, 125 for errors before CMD starts).
#pragma once

#include "sandbox/cli/sbx_args.h"

namespace sbx {

int RunCommandMain(const RunCommand& command);

}  // namespace sbx
