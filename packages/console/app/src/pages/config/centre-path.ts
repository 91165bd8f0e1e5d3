/** Where the gateway serves the config centre's admin API. */
export const CENTRE = '/admin/config-centre';
