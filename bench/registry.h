// The benchmark families, registered from main in a fixed order: the parent-size family
// last, since it leaves a big ballast behind for as long as the next family does not clear it.
#pragma once

namespace sbx_bench {

void RegisterFlagsBenchmarks();      // flags/IMPL/SET: each namespace alone and the seed set
void RegisterThreadsBenchmarks();    // threads/IMPL/threads:N: N starters at once
void RegisterPairedBenchmarks();     // paired/IMPL/FLOOR: one of each per iteration, ratio
void RegisterChurnBenchmarks();      // churn/IMPL/{off,on}: with netns churn in the background
void RegisterParentRssBenchmarks();  // parent_rss/IMPL/MIB: the parent's resident size

}  // namespace sbx_bench
