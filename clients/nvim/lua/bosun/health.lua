-- :checkhealth bosun — the binary, its version, its configuration and the keys of the providers it uses.
local config = require('bosun.config')

local M = {}

-- Neovim 0.10 has vim.health.start/ok/…; 0.7 to 0.9 have require('health').report_*.
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

-- The sections of `bosun config check`'s output that say which provider a role runs on:
-- section -> entry -> field -> value (`providers.anthropic.apiKeyEnv = 'ANTHROPIC_API_KEY (NOT SET)'`,
-- `tiers.worker = 'fast'`, read as `tiers[''].worker`).
local function sections(output)
  local found, section, entry = {}, nil, nil
  for line in vim.gsplit(output, '\n', true) do
    local top = line:match('^(%w+):%s*$')
    local name, value = line:match('^  ([%w_.-]+):%s*(.-)%s*$')
    local field, field_value = line:match('^    ([%w_]+):%s*(.-)%s*$')
    if top then
      section, entry = top, nil
      found[section] = {}
    elseif section and name then
      entry = name
      found[section][entry] = found[section][entry] or {}
      if value ~= '' then
        found[section][''] = found[section][''] or {}
        found[section][''][name] = value
      end
    elseif section and entry and field then
      found[section][entry][field] = field_value
    end
  end
  return found
end

-- The key variables of the providers some tier or role runs on (`used`), and of the others.
local function key_variables(output)
  local config = sections(output)
  local providers, models = config.providers or {}, config.models or {}
  local tiers = (config.tiers or {})[''] or {}
  local used_providers = {}
  local function use(model_or_tier)
    local model = models[tiers[model_or_tier] or model_or_tier]
    if model and model.provider then
      used_providers[model.provider] = true
    end
  end
  for tier in pairs(tiers) do
    use(tier)
  end
  for name, role in pairs(config.roles or {}) do
    if name ~= '' and role.model then
      use(role.model)
    end
  end
  local used, unused, seen = {}, {}, {}
  for name, provider in pairs(providers) do
    local key = provider.apiKeyEnv and provider.apiKeyEnv:match('^([%w_]+)')
    if key and not seen[key] then
      seen[key] = true
      table.insert(used_providers[name] and used or unused, key)
    end
  end
  table.sort(used)
  table.sort(unused)
  return used, unused
end

function M.check()
  start('bosun')
  local cmd = config.options.cmd
  local path = vim.fn.exepath(cmd)
  if path == '' then
    return error(string.format("'%s' is not an executable on $PATH", cmd),
      { "install bosun, or set require('bosun').setup{cmd = '/path/to/bosun'}" })
  end
  ok('bosun found: ' .. path)

  local version = vim.fn.system({ cmd, '--version' })
  if vim.v.shell_error ~= 0 then
    return error('`bosun --version` failed: ' .. version)
  end
  ok('version: ' .. vim.trim(version))

  local check_cmd = { cmd, 'config', 'check' }
  if config.options.config then
    vim.list_extend(check_cmd, { '--config', config.options.config })
  end
  local output = vim.fn.system(check_cmd)
  if vim.v.shell_error ~= 0 then
    return error('the configuration is not valid (`' .. table.concat(check_cmd, ' ') .. '`):\n' .. output)
  end
  ok('configuration valid (`' .. table.concat(check_cmd, ' ') .. '`)')

  local used, unused = key_variables(output)
  for _, key in ipairs(used) do
    if vim.env[key] and vim.env[key] ~= '' then
      ok(key .. ' is set')
    else
      warn(key .. ' is not set: workers on models of its provider cannot run', { 'export ' .. key .. '=…' })
    end
  end
  if #used == 0 then
    info('no tier or role runs on a provider that needs a key (local servers, the mock provider)')
  end
  if #unused > 0 then
    info('not needed by this configuration (no tier or role uses its provider): ' .. table.concat(unused, ', '))
  end
end

return M
