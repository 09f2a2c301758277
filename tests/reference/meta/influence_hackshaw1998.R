# Writes influence_hackshaw1998.json (and data/ss_hackshaw1998.csv). Run from the repository root:
#   Rscript tests/reference/meta/influence_hackshaw1998.R
# metafor influence() on dat.hackshaw1998 (k = 37, generic log OR), fixed effect and REML.
source("tests/reference/meta/_small_study.R")

ss_fixture("influence_hackshaw1998.R", list(hackshaw1998 = function(d) list(
  influence_analysis(d, "GEN", "FE"), influence_analysis(d, "GEN", "REML"))))
