"""DiMP tracker parameters, one file per trained setting."""
