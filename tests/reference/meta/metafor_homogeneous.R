# Writes metafor_homogeneous.json and data/homogeneous.csv. Run from the repository root:
#   Rscript tests/reference/meta/metafor_homogeneous.R
# metafor rma.mh (OR, RR, RD), rma.peto and rma.uni (FE and random DL/REML/ML/PM/SJ/HE/HS/EB, each
# with test = "z" and test = "knha"), with predict() intervals, weights() and Q-profile confint().
source("tests/reference/meta/_common.R")
metafor_fixture("homogeneous", "metafor_homogeneous.R")
