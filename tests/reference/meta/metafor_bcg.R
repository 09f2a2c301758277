# Writes metafor_bcg.json and data/bcg.csv. Run from the repository root:
#   Rscript tests/reference/meta/metafor_bcg.R
# metafor rma.mh (OR, RR, RD), rma.peto and rma.uni (FE and random DL/REML/ML/PM/SJ/HE/HS/EB, each
# with test = "z" and test = "knha"), with predict() intervals, weights() and Q-profile confint().
source("tests/reference/meta/_common.R")
metafor_fixture("bcg", "metafor_bcg.R")
