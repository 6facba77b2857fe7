-- The plugin's options: defaults, merged with what `require('bosun').setup{}` was given.
local M = {}

M.defaults = {
  -- The bosun executable, found on $PATH unless this is a path.
  cmd = 'bosun',
  -- A bosun config file (`--config`); nil uses bosun's own lookup ($BOSUN_CONFIG,
  -- .bosun/config.yaml in the workspace, the built-in config).
  config = nil,
  -- The trace store (`--db`); nil uses the config's store.path or bosun's default.
  db = nil,
  -- bosun's --log-level: what it writes to stderr, which Neovim copies into its LSP log.
  log_level = 'warning',
  -- The workspace root for the workers' file tools; nil is the current directory.
  root_dir = nil,
  -- Sent as initializationOptions (maxConcurrentWorkers, events, logLevel, session).
  init_options = {},
  -- What opens the HTML timeline of :BosunTrace!: a command (the page is its last argument),
  -- nil for xdg-open (or open on macOS), false to only show the page's path.
  browser = nil,
  -- Notify when a worker ends (vim.notify with its state and the start of its result).
  notify_on_end = true,
  -- More arguments of `bosun serve`, such as { '--mock' } to try bosun offline, with every
  -- model answered by its built-in mock provider.
  serve_args = {},
}

M.options = vim.deepcopy(M.defaults)

function M.set(options)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), options or {})
end

-- The command line that starts `bosun serve` with these options.
function M.serve_cmd()
  local cmd = { M.options.cmd, 'serve', '--log-level', M.options.log_level }
  if M.options.config then
    vim.list_extend(cmd, { '--config', M.options.config })
  end
  if M.options.db then
    vim.list_extend(cmd, { '--db', M.options.db })
  end
  return vim.list_extend(cmd, M.options.serve_args or {})
end

return M
