/**
 * The release this frontend was built from; equals `mlm_jupyter.__version__`
 * and package.json's version (tests/labextension/test_frontend_unit.py checks both).
 */
export const CLIENT_VERSION = '0.1.0';
