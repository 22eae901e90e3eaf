// --- ops (rotation, shape, projection, grid sampling, affine grid) ---

// --- visibility and the MorphableModelSTN layer ---
