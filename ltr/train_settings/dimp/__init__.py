"""DiMP settings: DiMP centre regression + box energy head trained with an EBM loss."""
